export * from './policies.js';
export * from './logs.js';
export * from './checked.js';
