/** The report page's style sheet: screen and print. System fonts only, nothing loaded from anywhere. */
export const REPORT_CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--ok:#1a7f37;--err:#b3261e;--warn:#9a6700}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:22px;margin:0}
h3{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h4{display:inline;font-size:16px;margin:0}
h5{font-size:15px;margin:18px 0 8px}
h6{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:0 0 6px}
code,pre{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace;font-size:13px}
code{background:var(--soft);padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
pre{background:#0d1117;color:#e6edf3;padding:10px 12px;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
a{color:#0969da}
.muted{color:var(--muted)}
.small{font-size:13px}
.page-head{border-bottom:3px solid var(--fg);padding-bottom:12px;margin-bottom:18px}
.run-meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0 0;font-size:14px}
.run-meta dt{color:var(--muted)}
.run-meta dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;line-height:18px;border:1px solid transparent;white-space:nowrap;vertical-align:middle;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.sev-critical.badge{background:#8e1519;color:#fff}
.sev-high.badge{background:#c2410c;color:#fff}
.sev-medium.badge{background:#fde68a;color:#713f12;border-color:#d4a72c}
.sev-low.badge{background:#dbeafe;color:#1e3a8a;border-color:#93c5fd}
.sev-informational.badge{background:#eef1f4;color:#424a53;border-color:#c8d1da}
.drift-new{background:#ede9fe;color:#4c1d95;border-color:#c4b5fd}
.drift-reopened{background:#ffedd5;color:#9a3412;border-color:#fdba74}
.drift-ongoing{background:#f3f4f6;color:#374151;border-color:#d1d5db}
.drift-resolved{background:#dcfce7;color:#14532d;border-color:#86efac}
.status-ok{background:#dcfce7;color:#14532d;border-color:#86efac}
.status-error{background:var(--err);color:#fff}
.status-fail{background:#fee2e2;color:#7f1d1d;border-color:#fca5a5}
.warn{background:#fff8c5;color:#7d4e00;border-color:#d4a72c}
.expired{background:#fee2e2;color:#7f1d1d;border-color:#fca5a5}
.banner{border-radius:8px;padding:12px 16px;margin:14px 0;border:2px solid}
.banner p{margin:4px 0}
.banner-title{font-size:17px;font-weight:700}
.banner-error{background:#fdecea;border-color:var(--err);color:#5f100c}
.banner-warn{background:#fff8c5;border-color:#d4a72c}
.banner-ok{background:#e6f4ea;border-color:var(--ok);color:#0f3d1d}
.banner-fail{background:#fff4f2;border-color:#e3765f;color:#5f1d0c}
.errors{margin:8px 0 0;padding-left:20px}
.error-item{margin:6px 0}
.error-message{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:13px;overflow-wrap:anywhere}
.hint{color:#5f100c;font-style:italic}
.totals{font-size:16px}
table{border-collapse:collapse}
.data{width:100%;font-size:14px;margin:6px 0}
.data th,.data td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
.data thead th{background:var(--soft);font-size:13px}
.num{text-align:right;font-variant-numeric:tabular-nums}
.row-error td{background:#fdecea}
.not-checked{color:var(--err);font-weight:700}
.tenant{border-top:3px solid var(--line);margin-top:36px;padding-top:18px}
.tenant.tenant-error{border-top-color:var(--err)}
.tenant-meta{margin:4px 0 0;color:var(--muted);overflow-wrap:anywhere}
.tenant-status{font-size:13px;margin-left:8px}
.summary{margin:12px 0}
.stats{display:flex;flex-wrap:wrap;gap:8px}
.stat{border:1px solid var(--line);border-radius:8px;padding:6px 14px;min-width:92px;background:var(--bg)}
.stat-value{display:block;font-size:24px;font-weight:700;font-variant-numeric:tabular-nums}
.stat-label{font-size:13px;color:var(--muted)}
.stat.zero .stat-value{color:#8c959f}
.stat-failing:not(.zero){border-color:#e3765f;background:#fff4f2}
.stat-new:not(.zero){border-color:#c4b5fd}
.stat-reopened:not(.zero){border-color:#fdba74}
.stat-resolved:not(.zero){border-color:#86efac}
.by-severity{list-style:none;display:flex;flex-wrap:wrap;gap:14px;padding:0;margin:10px 0}
.by-severity .n{font-weight:700}
.by-severity .zero{opacity:.55}
.inventory{font-size:14px;color:var(--muted)}
.inventory strong{color:var(--fg)}
.trend figure{margin:0}
.trend figcaption{font-size:13px;color:var(--muted)}
.trend-chart{max-width:100%;height:auto;font-family:inherit}
.trend-chart .bar{fill:#e3765f}
.trend-chart .bar-current{fill:#8e1519}
.trend-chart .bar-zero{fill:#1a7f37}
.trend-chart .grid{stroke:#e6e9ec}
.trend-chart .axis{stroke:#59636e}
.trend-chart text{font-size:11px;fill:#424a53}
.trend-chart .value{font-weight:700;fill:#1f2328}
.trend-chart .axis-label{font-size:12px;fill:#59636e}
details>summary{cursor:pointer}
.sev-group{margin:10px 0 16px}
.sev-group>summary{padding:6px 0;border-bottom:1px dashed var(--line)}
.rule-group{margin-left:4px}
.rule-title{font-weight:700}
.rule-id{font-size:12px}
.count{display:inline-block;min-width:22px;padding:0 7px;border-radius:999px;background:#eaeef2;font-size:12px;text-align:center;vertical-align:middle}
.card{border:1px solid var(--line);border-left:6px solid #8c959f;border-radius:8px;padding:10px 14px;margin:10px 0;background:#fff;break-inside:avoid}
.card.sev-critical{border-left-color:#8e1519}
.card.sev-high{border-left-color:#c2410c}
.card.sev-medium{border-left-color:#d4a72c}
.card.sev-low{border-left-color:#3b82f6}
.finding-head{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.finding-subject{margin-left:4px}
.subject-type{color:var(--muted);font-size:13px}
.subject-id{font-size:12px}
.message{margin:8px 0;font-size:15px}
.note-reopened{background:#fff4e5;border-left:3px solid #fdba74;padding:4px 8px;margin:6px 0;font-size:14px}
.finding-meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:6px 0 10px;font-size:13px}
.finding-meta dt{color:var(--muted);display:inline}
.finding-meta dt::after{content:": "}
.finding-meta dd{display:inline;margin:0}
.finding-body{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px}
@media (max-width:820px){.finding-body{grid-template-columns:1fr}}
.ev,.ev-nested{font-size:13px;width:100%}
.ev th,.ev td,.ev-nested th,.ev-nested td{border-top:1px solid #eaeef2;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.ev th,.ev-nested th{color:var(--muted);font-weight:600;white-space:nowrap;width:1%}
.ev th.long-key,.ev-nested th.long-key{white-space:normal;min-width:10em}
.ev td,.ev-nested td{min-width:10em}
.ev-nested{background:var(--soft);border-radius:4px}
.ev-list{margin:0;padding:0;list-style:none}
.ev-list li{display:inline}
.ev-list li+li::before{content:", "}
.ev-items{margin:0;padding-left:18px}
.compact-findings{width:100%;font-size:13px}
.compact-findings td:last-child code{white-space:nowrap;font-size:12px}
.compact-findings th,.compact-findings td{border-bottom:1px solid #eaeef2;padding:4px 6px;text-align:left;vertical-align:top}
.more>summary{color:var(--muted);font-size:14px;margin:6px 0}
.all-clear{color:var(--ok);font-weight:600}
.notes li{margin:4px 0}
footer{margin-top:40px;border-top:1px solid var(--line);padding-top:10px;color:var(--muted);font-size:13px}
@media print{
  body{font-size:10.5pt}
main{max-width:none;padding:0}
  a{color:inherit;text-decoration:none}
  details::details-content{content-visibility:visible;display:block}
  details>summary{list-style:none}
  .tenant{break-before:page}
.tenant:first-of-type{break-before:auto}
  .card,.data tr,.banner{break-inside:avoid}
  pre{background:#fff;color:#000;border:1px solid #999}
  .badge,.banner,.stat{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;
