// aws-local-stepfunctions 3.x expects Node 22; the polyfill must load before any test imports it.
import '../lib/runtime/polyfills.ts';

// Many servers run beside busy test workers here: user work keeps the normal priority, so that a
// starved worker cannot miss a task's wall-clock limit (lib/runtime/local/background-priority.ts).
process.env.FLOWFORGE_BACKGROUND_PRIORITY ??= 'normal';
