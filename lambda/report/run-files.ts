/** The four report files of one run, rendered from one report object so ids match across formats. */
import type { ReportFile } from '../store/store';
import { TOOL_VERSION } from '../version';
import { renderCsv } from './csv';
import { renderHtml } from './html';
import { renderJson } from './json';
import type { RunReport } from './model';
import { renderOcsf } from './ocsf';
import type { TrendPoint } from './trend';

export function renderRunFiles(report: RunReport, trends: Record<string, TrendPoint[]>): ReportFile[] {
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
