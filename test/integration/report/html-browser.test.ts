/**
 * The HTML report in a real browser: Debian's Chromium, headless, parses the page and takes a screenshot. What the
 * unit tests check as strings is checked here as the DOM a person's browser builds.
 *
 * Chromium is a requirement of this test, not an option: without it the test fails and says how to install it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../lambda/report/html';
import type { RunReport } from '../../../lambda/report/model';
import { hostileReport, largeReport, makeRunReport, sampleReport, trendHistory } from '../../unit/report/fixtures';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WINDOW = { width: 1280, height: 2000 };

function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The HTML report's browser test needs it: install it with ` +
        '`apt-get install -y chromium` (the CI script does), or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
}

let workDir: string;
let profileCount = 0;

/** Fails the calling test (rather than skipping it, as a failing beforeAll would) when Chromium is missing. */
function chromium(args: string[], timeoutMs = 90_000): Promise<string> {
  requireChromium();
  profileCount += 1;
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${join(workDir, `profile-${profileCount}`)}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      CHROMIUM,
      [...flags, ...args],
      { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`chromium ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      },
    );
  });
}

async function writePage(name: string, html: string): Promise<string> {
  const file = join(workDir, name);
  await writeFile(file, html, 'utf8');
  return pathToFileURL(file).href;
}

/** Width, height and the share of non-white pixels of an 8-bit RGB or RGBA PNG. */
function inspectPng(png: Buffer): { width: number; height: number; inkShare: number; colours: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8], 'bit depth').toBe(8);
      colourType = body[9]!;
      expect(body[12], 'interlace').toBe(0);
    } else if (type === 'IDAT') {
      data.push(body);
    }
    offset += 12 + length;
  }
  const channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
  expect(channels, `colour type ${colourType}`).toBeGreaterThan(0);
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  let previous = Buffer.alloc(stride);
  let ink = 0;
  const colours = new Set<number>();
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)]!;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x += 1) {
      const left = x >= channels ? line[x - channels]! : 0;
      const up = previous[x]!;
      const upLeft = x >= channels ? previous[x - channels]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      line[x] = (line[x]! + predictor) & 0xff;
    }
    for (let x = 0; x < stride; x += channels) {
      const [r, g, b] = [line[x]!, line[x + 1]!, line[x + 2]!];
      if (r < 240 || g < 240 || b < 240) ink += 1;
      colours.add((r << 16) | (g << 8) | b);
    }
    previous = line;
  }
  return { width, height, inkShare: ink / (width * height), colours: colours.size };
}

function combinedReport(): RunReport {
  const sample = sampleReport();
  return makeRunReport([...sample.tenants, ...hostileReport().tenants]);
}

const findingIds = (report: RunReport) =>
  report.tenants.flatMap((t) => [...t.findings, ...t.resolved].map((f) => f.id));

describe('HTML report in headless Chromium', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'qag-html-browser-'));
  });

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('builds a DOM with every finding row, the trend SVGs and the error banner, and no element from tenant data', async () => {
    const report = combinedReport();
    const url = await writePage(
      'report.html',
      renderHtml(report, { trends: { 'tenant-acme': trendHistory(12), 'tenant-globex': trendHistory(4, () => 0) } }),
    );
    const dom = await chromium(['--dump-dom', url]);

    const rows = new Set([...dom.matchAll(/data-finding-id="([^"]+)"/g)].map((m) => m[1]));
    expect(rows).toEqual(new Set(findingIds(report)));
    const svgs = dom.match(/<svg[^>]*class="trend-chart"[^>]*>/g) ?? [];
    expect(svgs).toHaveLength(2);
    expect(svgs[0]).toContain('data-points="13"');
    expect(dom.match(/<rect class="bar/g)).toHaveLength(13 + 5);
    expect(dom).toContain('NOT CHECKED — compliance unknown');
    // A user named <script>… must stay text in the DOM the browser built.
    expect(dom).not.toMatch(/<script|<img/i);
    expect(dom).toContain('&lt;script&gt;alert("pwned")&lt;/script&gt;');
  });

  it('takes a screenshot of a plausible size that is not blank', async () => {
    const url = await writePage(
      'screenshot.html',
      renderHtml(sampleReport(), { trends: { 'tenant-acme': trendHistory(12) } }),
    );
    const png = join(workDir, 'report.png');
    await chromium([`--screenshot=${png}`, `--window-size=${WINDOW.width},${WINDOW.height}`, url]);
    expect(existsSync(png), `screenshot ${png} was written`).toBe(true);
    expect((await stat(png)).size).toBeGreaterThan(30 * 1024);
    const image = inspectPng(await readFile(png));
    expect([image.width, image.height]).toEqual([WINDOW.width, WINDOW.height]);
    expect(image.inkShare).toBeGreaterThan(0.05);
    expect(image.colours).toBeGreaterThan(50);
    // For a person to look at: QAG_SCREENSHOT_DIR=/some/dir keeps the picture after the run.
    const keep = process.env.QAG_SCREENSHOT_DIR;
    if (keep) {
      await mkdir(keep, { recursive: true });
      await copyFile(png, join(keep, 'report.png'));
    }
  });

  it('opens a report of 10,000 findings', async () => {
    const report = largeReport(10_000);
    const url = await writePage('large.html', renderHtml(report));
    const dom = await chromium(['--dump-dom', url]);
    expect(dom.match(/data-finding-id="/g)).toHaveLength(10_000);
  });
});
