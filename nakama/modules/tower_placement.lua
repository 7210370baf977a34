--[[
Placement: which live game server a matchmaker match goes to. Pure functions over registry
entries (tower_registry.server_from_object), so the choice can be checked without Nakama.

Two policies, chosen by runtime env `tower_placement`:
  * least_loaded (default): the server with the lowest players / capacity. Spreads players,
    right for a static fleet.
  * pack: the fullest server that stays at or below its soft cap after the whole match
    joins (runtime env `tower_pack_soft_cap`: a fraction of capacity in (0, 1], default
    0.8, or a player count >= 2). Empty servers stay empty so an autoscaler can reclaim
    them. When no server has room below its cap, the least-loaded server with room is
    used (over the soft cap, under capacity) until the autoscaler adds servers.

A match is one party: it goes to one server with room for every member, or to none (the
matchmaker then tells every member "no game server"); it is never split.
]]

local common = require("tower_common")

local M = {}

M.LEAST_LOADED = "least_loaded"
M.PACK = "pack"
M.DEFAULT_SOFT_CAP = 0.8

-- The policy named by the runtime env (a table of strings), or nil and why it is invalid.
function M.policy_from_env(env)
  env = env or {}
  local name = env["tower_placement"]
  if name == nil or name == "" then name = M.LEAST_LOADED end
  if name ~= M.LEAST_LOADED and name ~= M.PACK then
    return nil, string.format("runtime env tower_placement must be %q or %q (got %q)",
      M.LEAST_LOADED, M.PACK, tostring(name))
  end
  local policy = { name = name, cap_fraction = M.DEFAULT_SOFT_CAP }
  local raw = env["tower_pack_soft_cap"]
  if raw ~= nil and raw ~= "" then
    local n = tonumber(raw)
    if n == nil or n <= 0 or (n > 1 and n ~= math.floor(n)) then
      return nil, string.format("runtime env tower_pack_soft_cap must be a fraction in (0, 1] "
        .. "or a whole player count >= 2 (got %q)", tostring(raw))
    end
    if n <= 1 then
      policy.cap_fraction = n
    else
      policy.cap_fraction, policy.cap_count = nil, n
    end
  end
  return policy
end

-- The most players a server should hold under the pack policy.
function M.soft_cap(policy, capacity)
  if policy.cap_count ~= nil then return math.min(policy.cap_count, capacity) end
  return math.floor(capacity * policy.cap_fraction)
end

-- true when a live server can take all `n` players of a match.
function M.has_room(s, n)
  return s.live and s.capacity > 0 and s.players + n <= s.capacity
end

local function load_of(s) return s.players / s.capacity end

-- The server with room for `n` and the lowest load (ties: lower id), or nil.
function M.least_loaded(servers, n)
  local best = nil
  for _, s in ipairs(servers) do
    if M.has_room(s, n) then
      if best == nil or load_of(s) < load_of(best)
        or (load_of(s) == load_of(best) and s.id < best.id) then
        best = s
      end
    end
  end
  return best
end

-- The fullest server that stays within its soft cap with `n` more players (ties: more
-- players, then lower id); else the least-loaded server with room; else nil.
function M.pack(servers, n, policy)
  local best = nil
  for _, s in ipairs(servers) do
    if M.has_room(s, n) and s.players + n <= M.soft_cap(policy, s.capacity) then
      if best == nil or load_of(s) > load_of(best)
        or (load_of(s) == load_of(best) and (s.players > best.players
          or (s.players == best.players and s.id < best.id))) then
        best = s
      end
    end
  end
  return best or M.least_loaded(servers, n)
end

-- The server for a match of `n` players under `policy`, or nil when none has room for all.
function M.choose(servers, n, policy)
  if policy.name == M.PACK then return M.pack(servers, n, policy) end
  return M.least_loaded(servers, n)
end

-- The module's own checks: a list of failure messages (empty when every check passes).
-- Run by the server-only RPC tower_placement_check (lobby/tests/placement.rs calls it).
function M.checks()
  local failures, expect = common.expectations()
  local function srv(id, players, capacity, live)
    return { id = id, players = players, capacity = capacity, live = live ~= false }
  end
  local function id_of(s) return s and s.id or "none" end
  local ll = M.policy_from_env({})
  local pack = M.policy_from_env({ tower_placement = "pack", tower_pack_soft_cap = "0.8" })
  local pack_count = M.policy_from_env({ tower_placement = "pack", tower_pack_soft_cap = "6" })

  expect("default policy", ll.name, M.LEAST_LOADED)
  expect("fraction cap of 10", M.soft_cap(pack, 10), 8)
  expect("count cap of 10", M.soft_cap(pack_count, 10), 6)
  expect("count cap above capacity", M.soft_cap(pack_count, 4), 4)
  for _, bad in ipairs({ "0", "-1", "2.5", "lots" }) do
    local p = M.policy_from_env({ tower_placement = "pack", tower_pack_soft_cap = bad })
    expect("soft cap " .. bad .. " refused", p, nil)
  end
  expect("unknown policy refused", M.policy_from_env({ tower_placement = "random" }), nil)

  local fleet = { srv("a", 7, 10), srv("b", 3, 10), srv("c", 0, 10), srv("dead", 0, 10, false) }
  expect("least-loaded: emptiest live", id_of(M.choose(fleet, 1, ll)), "c")
  expect("pack: fullest below the cap", id_of(M.choose(fleet, 1, pack)), "a")
  expect("pack: a party that would pass the cap goes elsewhere", id_of(M.choose(fleet, 2, pack)), "b")
  expect("pack: the count cap", id_of(M.choose(fleet, 1, pack_count)), "b")
  expect("pack: ties by players then id",
    id_of(M.choose({ srv("y", 4, 20), srv("x", 2, 10), srv("w", 2, 10) }, 1, pack)), "y")
  local over = { srv("a", 9, 10), srv("b", 8, 10) }
  expect("pack: all over the cap falls back to least-loaded", id_of(M.choose(over, 1, pack)), "b")
  expect("pack: fallback still needs room for the party", id_of(M.choose(over, 2, pack)), "b")
  expect("no server has room for the whole party", id_of(M.choose(over, 3, pack)), "none")
  expect("least-loaded: no room for the whole party", id_of(M.choose(over, 3, ll)), "none")
  expect("least-loaded: ties by id", id_of(M.choose({ srv("q", 1, 2), srv("p", 1, 2) }, 1, ll)), "p")
  expect("a zero-capacity or dead server is never chosen",
    id_of(M.choose({ srv("z", 0, 0), srv("dead", 0, 10, false) }, 1, pack)), "none")
  return failures
end

return M
