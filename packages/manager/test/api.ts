// The package under test, from its build (the workers load dist too: one copy of each class).
export * from '../dist/index.js';
