// Prerequisite rows for tests of one section that need another section's
// resources (a device test needs a space, a channel test a device): written
// straight into the database, so each section is tested on its own.
'use strict';
const crypto = require('node:crypto');
const L = require('./lib');

let serial = 0;
// A 16-digit id in the product's format (ms + 3 digits), unique per process.
function newId() {
  serial = (serial + 1) % 1000;
  return String(Date.now() * 1000 + ((process.pid + serial) % 1000));
}
const digits = (n) => Array.from(crypto.randomBytes(n), (b) => b % 10).join('');
const q = (s) => (s === null || s === undefined ? 'NULL'
  : `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);

function tenantId(user) {
  return L.sql(`SELECT id FROM tenants WHERE user_id = ${q(user)}`).trim();
}

// A tenant with keys: { user, key: {id, secret}, tenantId }.
async function tenant() {
  const t = await L.newTenant();
  t.tenantId = tenantId(t.user);
  return t;
}

function space(t, o = {}) {
  const id = o.id || newId();
  const gb = o.InProtocol === 'rtmp' ? null : (o.GbId || '3402000000200' + digits(7));
  L.sql(`INSERT INTO spaces (id, tenant_id, name, region, app, in_protocol,
    out_protocol, enabled, gb_id) VALUES (${id}, ${t.tenantId},
    ${q(o.Name || 'fixture space')}, ${q(o.Region || 'cn-shanghai')},
    ${q(o.App || 'live')}, ${q(o.InProtocol || 'gb28181')},
    ${q(o.OutProtocol || 'flv,hls,rtmp')}, ${o.Enabled === false ? 0 : 1}, ${q(gb)})`);
  return id;
}

// A device whose password is not usable (fixtures cannot seal secrets).
function device(t, groupId, o = {}) {
  const id = o.id || newId();
  L.sql(`INSERT INTO devices (id, tenant_id, group_id, type, name, gb_id,
    username, password_enc, params, status) VALUES (${id}, ${t.tenantId},
    ${groupId}, ${q(o.Type || 'ipc')}, ${q(o.Name || 'fixture device')},
    ${q(o.GbId || '34020000001320' + digits(6))}, 'admin', X'00', '{}',
    ${q(o.Status || 'new')})`);
  return id;
}

function stream(t, groupId, o = {}) {
  const id = o.id || newId();
  L.sql(`INSERT INTO streams (id, tenant_id, group_id, device_id, channel_id,
    app, name, protocol, status, enabled) VALUES (${id}, ${t.tenantId},
    ${groupId}, ${o.DeviceId || 'NULL'}, ${o.ChannelId || 'NULL'},
    ${q(o.App || 'live')}, ${q(o.Name || 'fixture stream')},
    ${q(o.Protocol || 'gb28181')}, 'off', ${o.Enabled === false ? 0 : 1})`);
  if (o.Status === 'on') live(t, id);
  return id;
}

// A stream on without media, which the stack's media plane would correct:
// a gb28181 one gets a session of another host's mediad (left alone), an
// RTMP one a start time inside mediad's 5 s reconciliation grace.
function live(t, streamId) {
  L.sql(`INSERT IGNORE INTO gb_sessions (stream_id, tenant_id, device_id,
    channel_gb_id, media_owner, media_ip, media_port, ssrc, state)
    SELECT id, tenant_id, COALESCE(device_id, 0), '', 'fixture.host:0',
    '127.0.0.1', 9, '0000000000', 'playing' FROM streams WHERE id = ${streamId}
    AND protocol = 'gb28181'`);
  L.sql(`UPDATE streams SET status = 'on', start_time = UTC_TIMESTAMP()
    WHERE id = ${streamId}`);
}

// A channel of a device with its stream; returns { channelId, streamId }.
function channel(t, groupId, deviceId, o = {}) {
  const gb = o.GbId || '34020000001310' + digits(6);
  L.sql(`INSERT INTO channels (tenant_id, device_id, gb_id, name) VALUES
    (${t.tenantId}, ${deviceId}, ${q(gb)}, ${q(o.Name || 'fixture channel')})`);
  const channelId = L.sql(`SELECT id FROM channels WHERE device_id = ${deviceId}
    AND gb_id = ${q(gb)}`).trim();
  const streamId = stream(t, groupId, { DeviceId: deviceId, ChannelId: channelId,
    Name: gb, Status: o.StreamStatus });
  L.sql(`UPDATE channels SET stream_id = ${streamId} WHERE id = ${channelId}`);
  return { channelId: Number(channelId), streamId };
}

module.exports = { newId, tenant, tenantId, space, device, stream, live, channel, q };
