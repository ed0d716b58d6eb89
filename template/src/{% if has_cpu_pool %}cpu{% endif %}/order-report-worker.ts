import { buildOrderReport } from './order-report.js';

// The entry module of the report worker threads: piscina calls the default export once per task.
export default buildOrderReport;
