--[[
Matchmaker → game server. Players join Nakama's own matchmaker over the realtime socket
(matchmaker_add). When Nakama forms a match, this hook picks one live game server with room
for the whole match under the placement policy (tower_placement.lua: runtime env
tower_placement, tower_pack_soft_cap) and sends EACH matched user a notification (code 100) with the server's address,
port and certificate fingerprint and a ticket of their own: an HS256 JWT signed with the
key shared with the game servers (runtime env tower_ticket_key), valid for at most 60 s,
naming the user (sub, usr), the server (srv) and its current process (ins: a ticket is only
good for the instance it was minted for, so a restart cannot revive it) and a unique id (jti,
for replay protection). With no live server, every user gets a notification with code 101
instead of silence, and so does every user of a match that no server has room for as a
whole (a party is never split). The player's Nakama session token is never part of it: the game server
checks the account with the server-only RPC tower_player_admit.

Loading this module fails (and Nakama refuses to start) when tower_ticket_key or the
runtime http_key is shorter than 32 bytes, or when the placement env is invalid.
]]

local nk = require("nakama")
local common = require("tower_common")
local registry = require("tower_registry")
local placement = require("tower_placement")

do
  local env, http_key = common.startup_env()
  common.require_strong_key("runtime env tower_ticket_key", env["tower_ticket_key"])
  common.require_strong_key("runtime.http_key", http_key)
  local policy, why = placement.policy_from_env(env)
  if policy == nil then error("tower: " .. why) end
end

local CODE_TICKET = 100
local MAX_PLACE_ATTEMPTS = 64
local CODE_NO_SERVER = 101
local MAX_TICKET_TTL_SEC = 60
local DEFAULT_TICKET_TTL_SEC = 30

local function ticket_ttl_sec(context)
  local ttl = common.env_number(context, "tower_ticket_ttl_sec", DEFAULT_TICKET_TTL_SEC)
  return math.min(math.floor(ttl), MAX_TICKET_TTL_SEC)
end

local function matched(context, entries)
  local key = context.env and context.env["tower_ticket_key"]
  -- Checked at load; a nil here means the env changed underneath, which cannot happen.
  local policy = placement.policy_from_env(context.env) or placement.policy_from_env({})
  -- Read, choose, reserve; again when another match or a heartbeat wrote the chosen record
  -- first (hooks run concurrently), so simultaneous matches spread as the policy says.
  -- Nakama runs the hooks of one matchmaker interval concurrently: each round at least one
  -- of them wins, so the bound covers a burst of MAX_PLACE_ATTEMPTS matches.
  -- Each player's reservation ends with their ticket: one nobody uses frees its slot then.
  local now_sec = math.floor(common.now_ms() / 1000)
  local ttl = ticket_ttl_sec(context)
  local users, matched_set = {}, {}
  for _, e in ipairs(entries) do
    table.insert(users, e.presence.user_id)
    matched_set[e.presence.user_id] = true
  end
  local live, server, newest
  local reserved = false
  for _ = 1, MAX_PLACE_ATTEMPTS do
    live, newest = registry.list(context, true, matched_set)
    server = placement.choose(live, #entries, policy)
    if server == nil then break end
    reserved = registry.reserve(server, users, (now_sec + ttl) * 1000, newest, common.now_ms())
    if reserved then break end
  end
  if server ~= nil and not reserved then
    nk.logger_warn(string.format("tower matchmaker: could not reserve on %s after %d tries; "
      .. "placing anyway", server.id, MAX_PLACE_ATTEMPTS))
  end
  if key == nil or key == "" or server == nil then
    local reason
    if key == nil or key == "" then
      reason = "the matchmaker has no ticket key (runtime env tower_ticket_key)"
    elseif #live == 0 then
      reason = "no game server is live; try again shortly"
    else
      reason = string.format("no game server has room for this match of %d players; "
        .. "try again shortly", #entries)
    end
    nk.logger_warn("tower matchmaker: " .. reason)
    for _, e in ipairs(entries) do
      nk.notification_send(e.presence.user_id, "tower: no game server",
        { reason = reason }, CODE_NO_SERVER, "", false)
    end
    return nil
  end

  -- Reserved (above) before any ticket goes out, so the next match already sees them.
  for _, e in ipairs(entries) do
    local ticket = nk.jwt_generate("HS256", key, {
      sub = e.presence.user_id,
      usr = e.presence.username,
      srv = server.id,
      ins = server.instance,
      jti = nk.uuid_v4(),
      iat = now_sec,
      exp = now_sec + ttl,
    })
    nk.notification_send(e.presence.user_id, "tower: match ready", {
      server_id = server.id,
      address = server.address,
      port = server.port,
      fingerprint = server.fingerprint,
      ticket = ticket,
      expires_at = now_sec + ttl,
    }, CODE_TICKET, "", false)
  end
  nk.logger_info(string.format("tower matchmaker: %d player(s) sent to %s (%s)", #entries,
    server.id, policy.name))
  return nil
end

-- Server-only: runs tower_placement's own checks (lobby/tests/placement.rs asserts none fail).
local function placement_check(context, _payload)
  common.require_server(context)
  local failures = placement.checks()
  for _, f in ipairs(registry.checks()) do table.insert(failures, f) end
  return nk.json_encode({ failed = #failures, failures = failures })
end

nk.register_matchmaker_matched(matched)
nk.register_rpc(placement_check, "tower_placement_check")
