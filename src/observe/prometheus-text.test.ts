import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheusText, parseValue, seriesKey } from './prometheus-text.js';

test('samples with and without labels, HELP and TYPE, escapes, NaN and ±Inf, timestamps, CRLF', () => {
  const text = [
    '# HELP http_requests_total The total number of "HTTP" requests.\\nSecond line \\\\ done',
    '# TYPE http_requests_total counter',
    'http_requests_total{method="post",code="200"} 1027 1395066363000',
    'http_requests_total{method="post",code="400"}    3   1395066363000\r',
    '# a comment that is neither',
    '',
    'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
    'metric_without_timestamp_and_labels 12.47',
    'something_weird{problem="division by zero"} +Inf -3982045',
    'neg_inf -Inf',
    'not_a_number NaN',
    'hex 0x1F',
    'odd{a="x}y",b="1,2" , } 5',
    'rpc_duration_seconds{quantile="0.99"} 76656',
    'rpc_duration_seconds_count 2693',
  ].join('\n');
  const p = parsePrometheusText(text);
  assert.equal(p.invalidLines, 0);
  assert.equal(p.types.http_requests_total, 'counter');
  assert.equal(p.help.http_requests_total, 'The total number of "HTTP" requests.\nSecond line \\ done');
  const by = (n: string) => p.samples.filter((s) => s.name === n);
  assert.deepEqual(by('http_requests_total'), [
    { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027 },
    { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3 },
  ]);
  assert.deepEqual(by('msdos_file_access_time_seconds')[0]!.labels, { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
  assert.equal(by('msdos_file_access_time_seconds')[0]!.value, 1458255915);
  assert.equal(by('metric_without_timestamp_and_labels')[0]!.value, 12.47);
  assert.equal(by('something_weird')[0]!.value, Infinity);
  assert.equal(by('neg_inf')[0]!.value, -Infinity);
  assert.ok(Number.isNaN(by('not_a_number')[0]!.value));
  assert.equal(by('hex')[0]!.value, 31);
  assert.deepEqual(by('odd')[0]!.labels, { a: 'x}y', b: '1,2' });
  assert.equal(by('rpc_duration_seconds_count')[0]!.value, 2693);
});

test('unreadable lines are counted and skipped; keep() filters names', () => {
  const p = parsePrometheusText('good 1\n{bad} 1\nbad_labels{a=1} 2\nunterminated{a="x 3\nbad_value abc\ntoo many 1 2 3\nother 2\n', (n) => n !== 'other');
  assert.deepEqual(
    p.samples.map((s) => s.name),
    ['good'],
  );
  assert.equal(p.invalidLines, 5);
});

test('parseValue and seriesKey', () => {
  assert.deepEqual(parseValue('1e3'), { value: 1000, ok: true });
  assert.deepEqual(parseValue('-.5'), { value: -0.5, ok: true });
  assert.equal(parseValue('1,5').ok, false);
  assert.equal(parseValue('').ok, false);
  assert.equal(seriesKey({}), '');
  assert.equal(seriesKey({ verb: 'GET', code: '200', ua: 'a "b"\\c\n' }), '{code="200",ua="a \\"b\\"\\\\c\\n",verb="GET"}');
});
