/**
 * The readers a distributed shard uses (src/distributed/shard.ts), without MPI: byte ranges cut at
 * line starts partition a LIBSVM file's lines exactly, for any number of ranks and any cut points
 * (blank lines, comments, CRLF, no final line feed); `.npy` row ranges give exactly the rows asked
 * for; and blockOf partitions n rows into contiguous blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';

import { blockOf } from '../src/distributed/shard';
import { DataFormatError } from '../src/errors';
import { parseLibsvm, readLibsvmRange } from '../src/io/libsvm';
import { readNpyMatrixRows, writeNpy } from '../src/io/npy';
import { lineStartAtOrAfter } from '../src/io/text';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'softnewton-shard-'));
process.on('exit', () => fs.rmSync(workDir, { recursive: true, force: true }));

test('blockOf partitions n rows into R contiguous blocks of sizes differing by at most one', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 300 }), (n, R) => {
    let next = 0;
    const sizes: number[] = [];
    for (let r = 0; r < R; r++) {
      const [start, end] = blockOf(n, r, R);
      assert.equal(start, next);
      sizes.push(end - start);
      next = end;
    }
    assert.equal(next, n);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }));
});

test('byte ranges moved to line starts partition a LIBSVM file: the ranks\' rows in order are the file\'s rows', async () => {
  const text = [
    '# a comment', '1.5 1:1 3:2', '', '-2 2:0.5', '0.25 1:-1 2:2 3:3\r', '3 3:1e-3', '   ', '7 1:7', '-1 2:1',
  ].join('\n'); // no final line feed
  const file = path.join(workDir, 'lines.svm');
  fs.writeFileSync(file, text);
  const whole = parseLibsvm(text, { cols: 3 });
  const size = Buffer.byteLength(text);
  for (let R = 1; R <= size + 2; R++) {
    const labels: number[] = [];
    const values: number[] = [];
    let lines = 0;
    for (let r = 0; r < R; r++) {
      const start = await lineStartAtOrAfter(file, Math.floor((r * size) / R));
      const end = await lineStartAtOrAfter(file, Math.floor(((r + 1) * size) / R));
      if (end <= start) continue; // shard.ts refuses such a rank; the others still partition the file
      let part;
      try {
        part = await readLibsvmRange(file, { cols: 3, start, end });
      } catch (error) {
        // A range of only blank lines and comments holds no rows.
        assert.ok(error instanceof DataFormatError && /no data/.test(error.message), String(error));
        lines += text.slice(start, end).split('\n').length - (text.slice(start, end).endsWith('\n') ? 1 : 0);
        continue;
      }
      labels.push(...part.b);
      values.push(...part.C.values);
      lines += part.lines;
    }
    assert.deepEqual(labels, Array.from(whole.b), `R = ${R}`);
    assert.deepEqual(values, Array.from(whole.C.values), `R = ${R}`);
    assert.equal(lines, text.split('\n').length, `R = ${R}: every line read once`);
  }
});

test('a malformed line in a range is reported with the line number counted from the range\'s start', async () => {
  const file = path.join(workDir, 'bad.svm');
  fs.writeFileSync(file, '1 1:1\n2 1:2\n3 1:x\n4 1:4\n');
  const start = await lineStartAtOrAfter(file, 7); // the second line's start is byte 6: the third line
  assert.equal(start, 12);
  await assert.rejects(readLibsvmRange(file, { cols: 1, start, end: 24 }), (error: unknown) => {
    assert.ok(error instanceof DataFormatError);
    assert.equal(error.line, 1);
    return true;
  });
});

test('.npy row ranges read exactly the rows asked for, with the target column split off', async () => {
  const rows = 7;
  const cols = 4;
  const data = Float64Array.from({ length: rows * cols }, (_, k) => k + 0.5);
  const file = path.join(workDir, 'm.npy');
  await writeNpy(file, data, [rows, cols]);
  for (let R = 1; R <= rows; R++) {
    for (let r = 0; r < R; r++) {
      const part = await readNpyMatrixRows(file, { targetColumn: 2, rowRange: (n) => blockOf(n, r, R) });
      assert.ok(part);
      const [start, end] = blockOf(rows, r, R);
      assert.equal(part.totalRows, rows);
      assert.equal(part.start, start);
      assert.equal(part.C.rows, end - start);
      assert.equal(part.C.cols, cols - 1);
      for (let i = start; i < end; i++) {
        assert.equal(part.b![i - start], data[i * cols + 1]);
        assert.deepEqual(Array.from(part.C.data.subarray((i - start) * 3, (i - start + 1) * 3)), [data[i * cols], data[i * cols + 2], data[i * cols + 3]]);
      }
    }
  }
  const gz = path.join(workDir, 'm.npy.gz');
  await writeNpy(gz, data, [rows, cols]);
  assert.equal(await readNpyMatrixRows(gz, { rowRange: () => [0, 1] }), undefined, 'a .gz file cannot seek: read it whole');
  fs.writeFileSync(path.join(workDir, 'short.npy'), fs.readFileSync(file).subarray(0, 200));
  await assert.rejects(readNpyMatrixRows(path.join(workDir, 'short.npy'), { rowRange: () => [0, 1] }), /truncated/);
});
