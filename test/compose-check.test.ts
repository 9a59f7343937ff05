/**
 * scripts/check-compose.ts on the checked-in files finds nothing, and on a compose file put back the way
 * issue 18 says it must not be (the auto-setup dev image, a server that does not wait for its schema job,
 * a schema job that misses the visibility database, a missing search attribute) says so.
 */
import { type ComposeFiles, checkCompose, readComposeFiles } from '../scripts/lib/compose-check';

const files = readComposeFiles();
const withCompose = (compose: string): ComposeFiles => ({ ...files, compose });

describe('the compose check', () => {
  it('finds nothing in the checked-in docker-compose.yml', () => {
    expect(checkCompose(files).findings).toEqual([]);
  });

  it('runs Temporal from temporalio/server after the temporal-schema job, with admin-tools of its version', () => {
    expect(files.compose).toMatch(/\n {2}temporal:\n {4}image: temporalio\/server:\d+\.\d+\.\d+\n/);
    expect(files.compose).toMatch(/\n {2}temporal-schema:\n {4}image: temporalio\/admin-tools:\d+\.\d+\.\d+\n/);
    expect(files.compose).not.toMatch(/auto-setup:/);
  });

  it('refuses the auto-setup dev image', () => {
    const broken = files.compose.replace(/image: temporalio\/server:([\d.]+)/, 'image: temporalio/auto-setup:$1');
    expect(broken).not.toEqual(files.compose);
    const { findings } = checkCompose(withCompose(broken));
    expect(findings).toContainEqual(
      expect.stringMatching(/^service temporal: temporalio\/auto-setup:.* is a dev image$/),
    );
    expect(findings).toContain('service temporal: not the Temporal server image (temporalio/server:<version>)');
  });

  it('refuses a server that does not wait for the schema job to succeed', () => {
    const broken = files.compose.replace(
      /( {6}temporal-schema:\n {8}condition: )service_completed_successfully/,
      '$1service_started',
    );
    expect(broken).not.toEqual(files.compose);
    expect(checkCompose(withCompose(broken)).findings).toEqual([
      'service temporal: does not wait for temporal-schema to complete successfully',
    ]);
  });

  it('refuses a compose file without the schema job, and an unpinned image', () => {
    const broken = files.compose
      .replace(/\n {2}temporal-schema:\n[\s\S]*?\n\n/, '\n')
      .replace('image: temporalio/ui:2.34.0', 'image: temporalio/ui:latest');
    const { findings } = checkCompose(withCompose(broken));
    expect(findings).toContain('no one-shot schema job `temporal-schema`');
    expect(findings).toContain('service temporal-ui: image temporalio/ui:latest has no pinned tag');
  });

  it('refuses a schema script that leaves out the visibility database', () => {
    const schemaScript = files.schemaScript.replace(' temporal_visibility:visibility', '');
    expect(checkCompose({ ...files, schemaScript }).findings).toEqual([
      'docker/temporal/setup-schema.sh: does not set up temporal_visibility',
    ]);
  });

  it('refuses a namespace script that misses a search attribute the case workflow sets', () => {
    const namespaceScript = files.namespaceScript.replace('PendingSince=Datetime', '');
    expect(checkCompose({ ...files, namespaceScript }).findings).toEqual([
      'deploy/helm/vcdc/files/setup-namespace.sh: does not register PendingSince as Datetime',
    ]);
  });

  it('refuses a provision step that does not provision every schema, the lot manifests’ among them', () => {
    const broken = files.compose.replace(/\n {6}LOT_MANIFESTS_DB_PASSWORD: .*/, '');
    expect(broken).not.toEqual(files.compose);
    expect(checkCompose(withCompose(broken)).findings).toEqual([
      'service db-provision: neither LOT_MANIFESTS_DB_PASSWORD nor LOT_MANIFESTS_DB_URL (the lot_manifests_service role)',
    ]);
  });
});
