export type { ArchivedRun, ArchiveRunInput, ReportArchive, ReportFile, StateStore } from './store';
export type { ObjectBody, ObjectHead, ObjectStore, PutOptions, PutResult, ListOptions } from './object-store';
export { ObjectStoreError } from './object-store';
export { FsObjectStore } from './fs-object-store';
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';
export { createReportArchive, type ReportArchiveOptions } from './report-archive';
export { createStateStore } from './state-store';
export type { RunManifest, ManifestLink, LatestPointer } from './manifest';
