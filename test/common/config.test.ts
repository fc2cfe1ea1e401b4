import assert from 'node:assert/strict';
import test from 'node:test';
import { checkUnknownEnv, resolveConfig } from '../../common/config.js';
import { IsotelError } from '../../common/errors.js';
import { commonSchema } from '../../common/settings.js';

test('defaults apply when nothing is set', () => {
  const c = resolveConfig(commonSchema, { env: {} });
  assert.equal(c.gatewayPort, 8787);
  assert.equal(c.otlpHttpPort, 4318);
  assert.equal(c.clickhouseUrl, '');
  assert.ok(Object.isFrozen(c));
});

test('flags override the environment, environment overrides defaults', () => {
  const c = resolveConfig(commonSchema, { env: { ISOTEL_GATEWAY_PORT: '9000', ISOTEL_VIEWER_PORT: '9100' }, overrides: { gatewayPort: 9001 } });
  assert.equal(c.gatewayPort, 9001);
  assert.equal(c.viewerPort, 9100);
});

test('an invalid value names the variable and what was expected', () => {
  assert.throws(() => resolveConfig(commonSchema, { env: { ISOTEL_GATEWAY_PORT: 'eighty' } }), (e: unknown) => {
    assert.ok(e instanceof IsotelError);
    assert.equal(e.code, 'ISOTEL_ERR_CONFIG_INVALID');
    assert.match(e.message, /ISOTEL_GATEWAY_PORT="eighty" is not a TCP port/);
    return true;
  });
  assert.throws(() => resolveConfig(commonSchema, { env: {}, overrides: { logLevel: 'loud' } }), /--log-level="loud" is not one of/);
});

test('an unknown ISOTEL_ variable is refused', () => {
  assert.throws(() => checkUnknownEnv({ ISOTEL_GATEWAY_PROT: '1' }), (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_CONFIG_UNKNOWN_KEY' && /ISOTEL_GATEWAY_PROT/.test(e.message));
  checkUnknownEnv({ ISOTEL_GATEWAY_PORT: '1', PATH: '/bin' });
});
