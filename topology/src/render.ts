import type { TopicDeclaration } from './topic.js';

function retention(t: TopicDeclaration): string {
  if (t.cleanup === 'compact') return 'compacted';
  if (t.retentionMs === undefined) return 'broker default';
  const hours = t.retentionMs / 3_600_000;
  return hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`;
}

const nodeId = (name: string) => name.replace(/[^a-zA-Z0-9]/g, '_');

/** The topology as a Markdown table and a mermaid flowchart (services as boxes, topics as cylinders). */
export function renderMarkdown(topics: readonly TopicDeclaration[]): string {
  const lines = [
    '| topic | partitions | key | value schema | schema compatibility | retention | produced by | consumed by | what it carries |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...topics.map(
      (t) =>
        `| \`${t.name}\` | ${t.partitions} | ${t.key} | [\`${t.valueSchema}\`](../schemas/${t.valueSchema}.avsc) | ${t.compatibility} | ${retention(t)} | ${t.producers.join(', ')} | ${t.consumers.join(', ')} | ${t.description} |`,
    ),
    '',
    '```mermaid',
    'flowchart LR',
  ];
  const services = new Set<string>();
  for (const t of topics) {
    lines.push(`  ${nodeId(`topic_${t.name}`)}[("${t.name}")]`);
    for (const p of t.producers) services.add(p);
    for (const c of t.consumers) services.add(c);
  }
  for (const s of [...services].sort()) lines.push(`  ${nodeId(`svc_${s}`)}["${s}"]`);
  for (const t of topics) {
    for (const p of t.producers) lines.push(`  ${nodeId(`svc_${p}`)} --> ${nodeId(`topic_${t.name}`)}`);
    for (const c of t.consumers) lines.push(`  ${nodeId(`topic_${t.name}`)} --> ${nodeId(`svc_${c}`)}`);
  }
  lines.push('```', '');
  return lines.join('\n');
}
