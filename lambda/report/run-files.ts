/** The four report files of one run, rendered from one report object so ids match across formats. */
import { TOOL_VERSION } from '../version';
import { renderCsv } from './csv';
import { renderHtml } from './html';
import { renderJson } from './json';
import type { RunReport } from './model';
import { renderOcsf } from './ocsf';
import type { TrendPoint } from './trend';

/** One rendered file of a run folder (what the archive stores as a report file). */
export interface RunFile {
  /** File name inside the run folder, e.g. `report.json`. */
  readonly name: string;
  readonly body: string;
  readonly contentType: string;
}

export function renderRunFiles(report: RunReport, trends: Record<string, TrendPoint[]>): RunFile[] {
  return [
    { name: 'report.json', body: renderJson(report), contentType: 'application/json' },
    {
      name: 'findings.ocsf.jsonl',
      body: renderOcsf(report, { productVersion: TOOL_VERSION }),
      contentType: 'application/x-ndjson',
    },
    { name: 'findings.csv', body: renderCsv(report), contentType: 'text/csv; charset=utf-8' },
    { name: 'report.html', body: renderHtml(report, { trends }), contentType: 'text/html; charset=utf-8' },
  ];
}
