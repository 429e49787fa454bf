/** The CSV reader for tests: the report's own. */
export { csvRecords, parseCsv } from '../report/csvRead.js';
