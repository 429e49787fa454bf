export * from './policies.js';
export * from './logs.js';
