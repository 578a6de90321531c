// aws-local-stepfunctions 3.x expects Node 22; the polyfill must load before any test imports it.
import '../lib/runtime/polyfills.ts';
