import { flag, list, str } from './args.js';
import { EXIT, JSON_OPTION, type CommandDef } from './command.js';

export const command: CommandDef = {
  name: 'suite',
  summary: 'the cross-vendor integration suite over the embedded host catalogue',
  usage: ['suite [--vendor V]… [--backend legacy|iommufd]… [--qemu P]… [--json] [--verbose] [--junit FILE] [--html FILE]'],
  description:
    'Generates scenarios (vIOMMU × backend × catalogue host × device placement × QEMU profile × properties),\n' +
    'each with an expected outcome derived from the host\'s register bits by a small rule independent of the\n' +
    'engine, runs them all and prints a summary table; every mismatch is explained. Exit 1 on any mismatch.',
  options: [
    { name: 'vendor', type: 'string', value: 'V', summary: 'only this vendor (intel, arm, …); repeatable', repeatable: true },
    { name: 'backend', type: 'string', value: 'legacy|iommufd', summary: 'only this VFIO backend; repeatable', repeatable: true, choices: ['legacy', 'iommufd'] },
    { name: 'qemu', type: 'string', value: 'P', summary: 'only this QEMU profile; repeatable', repeatable: true, choices: ['7.2', '10.0', '10.2', 'upstream'] },
    { name: 'verbose', type: 'boolean', summary: 'one line per scenario' },
    { name: 'junit', type: 'string', value: 'FILE', summary: 'also write JUnit XML (a testsuite per vendor × backend) for CI' },
    { name: 'html', type: 'string', value: 'FILE', summary: 'also write a self-contained HTML report: hosts × VM shapes per QEMU profile' },
    JSON_OPTION,
  ],
  examples: ['viommu suite', 'viommu suite --vendor intel --backend iommufd --qemu 10.2', 'viommu suite --json > suite.json', 'viommu suite --qemu 10.0 --junit suite.xml --html suite.html'],
  async run(args, io) {
    const { runSuite, formatSuite, suiteToJson } = await import('../suite/run.js');
    const { progressBar } = await import('../progress/progress.js');
    const bar = progressBar('scenarios');
    const result = await runSuite({ vendors: list(args, 'vendor'), backends: list(args, 'backend'), profiles: list(args, 'qemu') }, bar.update).finally(bar.stop);
    const junit = str(args, 'junit');
    const html = str(args, 'html');
    if (junit !== undefined || html !== undefined) {
      const { suiteReportCases } = await import('../report/from-suite.js');
      const { writeReport } = await import('../report/write.js');
      const cases = suiteReportCases(result);
      if (junit !== undefined) writeReport(junit, (await import('../report/junit.js')).suiteToJUnit(cases), '--junit', io.out);
      if (html !== undefined) writeReport(html, (await import('../report/html.js')).suiteToHtml(cases), '--html', io.out);
    }
    io.out(flag(args, 'json') ? JSON.stringify(suiteToJson(result), null, 2) : formatSuite(result, { verbose: flag(args, 'verbose'), colours: (await import('../progress/colour.js')).coloursFor(process.stdout) }));
    return result.failures.length === 0 ? EXIT.ok : EXIT.refused;
  },
};
