/** The report archive and the drift state, on any {@link ObjectStore} (a local folder or S3). */

export type { ObjectStore } from './object-store';
export { createReportArchive, type ReportArchiveOptions } from './report-archive';
export { createStateStore } from './state-store';
