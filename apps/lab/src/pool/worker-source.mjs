// The pool worker when the CLI runs from TypeScript source (bin/pagelab.js under tsx):
// a worker thread does not inherit the main thread's tsx hooks, so it registers them itself.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.default;
