import { Background, Controls, Handle, type Node, type NodeProps, Position, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { memo, useMemo, useRef } from 'react';
import { type Definition, kindOf } from '../definition';
import { layoutDefinition, type NodeData } from './layout';

export interface FlowGraphProps {
  definition: Definition;
  /** Node id → status (a run's graph): drawn as colours and `data-status`. */
  statuses?: Record<string, string>;
  /** Node id → validation messages: drawn on the node. */
  errors?: Record<string, string[]>;
  onSelect?: (nodeId: string) => void;
  selected?: string;
  height?: number;
}

const FlowNode = memo(function FlowNode({ data, id }: NodeProps & { data: NodeData }) {
  const { node, status, errors } = data;
  const subflowId = node.operation === 'subflow' ? (node.config?.flowId as string | undefined) : undefined;
  return (
    <div
      className={`ff-node kind-${node.type} ${status ? `status-${status}` : ''} ${errors?.length ? 'invalid' : ''}`}
      data-node-id={id}
      {...(status ? { 'data-status': status } : {})}
      {...(errors?.length ? { 'data-invalid': 'true' } : {})}
      title={errors?.join('\n')}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="ff-node-id">{id}</div>
      <div className="ff-node-kind">
        {node.type}: {kindOf(node)}
        {node.join === 'any' ? <span className="badge">join any</span> : null}
        {status ? <span className="badge">{status}</span> : null}
      </div>
      {subflowId ? (
        <a className="ff-node-link" href={`#/flows/${encodeURIComponent(subflowId)}`}>
          open child flow
        </a>
      ) : null}
      {errors?.length ? (
        <div className="ff-node-error" role="alert">
          {errors[0]}
        </div>
      ) : null}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

const GroupNode = memo(function GroupNode({ data, id }: NodeProps & { data: NodeData }) {
  const { status, errors } = data;
  return (
    <div
      className={`ff-group ${status ? `status-${status}` : ''} ${errors?.length ? 'invalid' : ''}`}
      data-node-id={id}
      {...(status ? { 'data-status': status } : {})}
      {...(errors?.length ? { 'data-invalid': 'true' } : {})}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="ff-group-title">
        forEach {id}
        {status ? <span className="badge">{status}</span> : null}
      </div>
      {errors?.length ? <div className="ff-node-error">{errors[0]}</div> : null}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { 'flow-node': FlowNode, 'group-node': GroupNode };

/**
 * A flow or run as a graph: nodes by kind (triggers, actions, operations), edges with their
 * conditions, `on: error` dashed red and `always` thick; forEach bodies as groups; subflows link
 * to their child flow. Every node is an element with `data-node-id` (and `data-status` in a run).
 */
export function FlowGraph({ definition, statuses, errors, onSelect, height = 460 }: FlowGraphProps) {
  // dagre runs once per definition; a status change (a live run's events) only redraws its node.
  const laid = useMemo(() => layoutDefinition(definition), [definition]);
  const drawn = useRef(new Map<string, Node<NodeData>>());
  const nodes = useMemo(() => {
    const previous = drawn.current;
    const next = new Map<string, Node<NodeData>>();
    const decorated = laid.nodes.map((node) => {
      const status = statuses?.[node.id];
      const nodeErrors = errors?.[node.id];
      const before = previous.get(node.id);
      const same =
        before !== undefined &&
        before.position === node.position &&
        before.data.node === node.data.node &&
        before.data.status === status &&
        before.data.errors === nodeErrors;
      const result: Node<NodeData> = same
        ? before
        : {
            ...node,
            data: {
              ...node.data,
              ...(status ? { status } : {}),
              ...(nodeErrors ? { errors: nodeErrors } : {}),
            },
          };
      next.set(node.id, result);
      return result;
    });
    drawn.current = next;
    return decorated;
  }, [laid, statuses, errors]);
  // A new set of nodes is fitted into view again.
  const flowKey = useMemo(() => laid.nodes.map((node) => node.id).join(' '), [laid]);
  return (
    <figure className="ff-graph" style={{ height }} aria-label="workflow graph">
      <ReactFlow
        key={flowKey}
        nodes={nodes}
        edges={laid.edges}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        fitView
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, node) => onSelect?.(node.id)}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </figure>
  );
}
