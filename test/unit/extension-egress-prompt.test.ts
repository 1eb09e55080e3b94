// The create wizard shows what sandboxes may reach and asks before an allow-list opens private,
// metadata or all addresses (the texts and the decision; the modal itself is VS Code's).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CREATE_ANYWAY, OPEN_SETTINGS, confirmEgress, egressLine, type ModalUi } from '../../src/extension/egressPrompt';
import { egressAllowWarnings } from '../../src/core/devenv/egress';

function ui(answer: string | undefined) {
  const shown: { message: string; detail: string; modal: boolean; items: string[] }[] = [];
  const value: ModalUi = {
    showWarningMessage: async (message, options, ...items) => { shown.push({ message, detail: options.detail, modal: options.modal, items }); return answer; },
  };
  return { ui: value, shown };
}

describe('create wizard: egress', () => {
  test('the resources step says what sandboxes may reach and where the list comes from', () => {
    assert.equal(egressLine([]), 'Network: DNS and public addresses only (add more with terrarium.egressAllowList in user settings).');
    assert.equal(egressLine(['10.1.0.0/16', '140.82.112.0/20']),
      'Network: DNS and public addresses, plus 10.1.0.0/16, 140.82.112.0/20 (terrarium.egressAllowList, user settings).');
  });

  test('no warnings: nothing is asked', async () => {
    const u = ui(undefined);
    assert.equal(await confirmEgress('web', egressAllowWarnings(['140.82.112.0/20']), u.ui, () => undefined), true);
    assert.equal(u.shown.length, 0);
  });

  test('a metadata or private entry: a modal lists each one; only "Create Anyway" goes ahead', async () => {
    const warnings = egressAllowWarnings(['169.254.169.254', '10.0.0.0/8', '140.82.112.0/20']);
    const yes = ui(CREATE_ANYWAY);
    assert.equal(await confirmEgress('web', warnings, yes.ui, () => undefined), true);
    const [m] = yes.shown;
    assert.equal(m!.modal, true);
    assert.match(m!.message, /Environment web: the egress allow-list opens destinations that sandboxes cannot reach by default/);
    assert.match(m!.detail, /• 169\.254\.169\.254 opens the cloud metadata service/);
    assert.match(m!.detail, /• 10\.0\.0\.0\/8 opens private addresses/);
    assert.doesNotMatch(m!.detail, /140\.82/);
    assert.deepEqual(m!.items, [CREATE_ANYWAY, OPEN_SETTINGS]);

    assert.equal(await confirmEgress('web', warnings, ui(undefined).ui, () => undefined), false, 'Cancel (or Escape) creates nothing');
    let opened = 0;
    assert.equal(await confirmEgress('web', warnings, ui(OPEN_SETTINGS).ui, () => { opened++; }), false);
    assert.equal(opened, 1, 'Open User Settings opens them and creates nothing');
  });
});
