/** The report archive and the drift state, on any {@link ObjectStore} (a local folder or S3). */
export { createReportArchive, type ReportArchiveOptions } from './report-archive';
export { createStateStore } from './state-store';
export type { ObjectStore } from './object-store';
