export * from './policies.js';
export * from './logs.js';
export * from './checked.js';
export * from './balloon.js';
