export { type AppOptions, buildApp } from './app.js';
export { type Problem, problem, sendProblem } from './problem.js';
export { type RunningService, type ServeOptions, serve } from './server.js';
