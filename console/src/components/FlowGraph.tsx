import { Background, Controls, Handle, type NodeProps, Position, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
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

function FlowNode({ data, id }: NodeProps & { data: NodeData }) {
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
}

function GroupNode({ data, id }: NodeProps & { data: NodeData }) {
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
}

const nodeTypes = { 'flow-node': FlowNode, 'group-node': GroupNode };

/**
 * A flow or run as a graph: nodes by kind (triggers, actions, operations), edges with their
 * conditions, `on: error` dashed red and `always` thick; forEach bodies as groups; subflows link
 * to their child flow. Every node is an element with `data-node-id` (and `data-status` in a run).
 */
export function FlowGraph({ definition, statuses, errors, onSelect, height = 460 }: FlowGraphProps) {
  const laid = useMemo(
    () =>
      layoutDefinition(definition, (id) => ({
        ...(statuses?.[id] ? { status: statuses[id] } : {}),
        ...(errors?.[id] ? { errors: errors[id] } : {}),
      })),
    [definition, statuses, errors],
  );
  return (
    <figure className="ff-graph" style={{ height }} aria-label="workflow graph">
      <ReactFlow
        // A new set of nodes is fitted into view again.
        key={laid.nodes.map((node) => node.id).join(' ')}
        nodes={laid.nodes}
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
