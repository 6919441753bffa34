export * from './common-schemas.js';
export * from './directory-schemas.js';
export * from './error-responses.js';
export * from './identification-schemas.js';
export * from './notification-schemas.js';
