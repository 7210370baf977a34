--[[
Leaderboards, both authoritative (clients can read them, only this module writes them):
  tower_highest_floor        one record per player, the highest floor reached ("best");
  tower_guild_highest_floor  one record per guild (owner = group id, username = group
                             name): the highest floor reached by any member.
The game server reports a new highest floor with the http_key RPC tower_leaderboard_submit,
and every state save (tower_state.lua) records the state's highest_floor again: saves are
queued and retried by the game server until they land, so the boards heal after an outage
even if the immediate submission was lost.
]]

local nk = require("nakama")
local common = require("tower_common")
local guild = require("tower_guild")

local PLAYERS = "tower_highest_floor"
local GUILDS = "tower_guild_highest_floor"

nk.leaderboard_create(PLAYERS, true, "desc", "best", "", { game = "tower" })
nk.leaderboard_create(GUILDS, true, "desc", "best", "", { game = "tower" })

local M = {}

-- Longest username a leaderboard record takes (Nakama's limit).
M.MAX_BOARD_NAME = 128

-- The name a guild goes by on the board: its own name when it fits, else its group id (any
-- group admin can give a guild a longer name, which the board would refuse).
function M.board_name(g)
  if type(g.name) == "string" and #g.name > 0 and #g.name <= M.MAX_BOARD_NAME then return g.name end
  return g.id
end

-- Records `floor` for the player and their guild ("best": never lowers a record).
-- Returns the guild's board name or "". The guild record is best effort: a failure there is
-- logged and never undoes or fails the player's own record.
function M.record(user_id, username, floor)
  local g = guild.of_user(user_id)
  local name = g and M.board_name(g) or ""
  nk.leaderboard_record_write(PLAYERS, user_id, username, floor, 0, { guild = name })
  if g ~= nil then
    local ok, err = pcall(nk.leaderboard_record_write, GUILDS, g.id, name, floor, 0,
      { last_member = username })
    if not ok then
      nk.logger_warn(string.format("tower leaderboard: guild %s record failed: %s", g.id, tostring(err)))
    end
  end
  return name
end

local function submit(context, payload)
  common.require_server(context)
  local p = common.decode(payload)
  local user_id = common.user_id_field(p, "user_id")
  local username = common.string_field(p, "username", 128)
  local floor = common.count_field(p, "floor", 1000000000)
  local users = nk.users_get_id({ user_id })
  if users == nil or users[1] == nil then
    -- Permanent: the game server drops it instead of retrying (deleted account).
    common.fail("unknown user " .. user_id .. " (deleted account?)", common.CODE_NOT_FOUND)
  end
  local guild_name = M.record(user_id, username, floor)
  return nk.json_encode({ floor = floor, guild = guild_name })
end

nk.register_rpc(submit, "tower_leaderboard_submit")

return M
