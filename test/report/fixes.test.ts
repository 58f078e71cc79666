import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixOf } from '../../src/report/fixes.js';
import type { Finding } from '../../src/topology/model.js';

const finding = (from: string, to: string): Finding => ({
  severity: 'critical',
  code: 'overlay-blocked',
  message: 'm',
  evidence: [],
  subject: { from: { host: from }, to: { host: to }, tunnel: { type: 'vxlan', port: 8472 } },
});

test('overlay-blocked between two nodes names both', () => {
  assert.is(fixOf(finding('ip-a', 'ip-b')), 'allow VXLAN traffic (UDP 8472) between ip-a and ip-b: host firewall (iptables/nftables), cloud security group or network ACL.');
});

test('a drop inside one node names it once, not "between X and X"', () => {
  const fix = fixOf(finding('ip-a', 'ip-a')) ?? '';
  assert.is(fix, 'allow VXLAN traffic (UDP 8472) on ip-a: host firewall (iptables/nftables), cloud security group or network ACL.');
  assert.not.match(fix, /between ip-a and ip-a/);
});

test.run();
