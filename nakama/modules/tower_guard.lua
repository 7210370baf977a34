--[[
Clients never write or delete Tower's data. Every collection named tower_* is written by
these modules only (through server-only RPCs); Nakama's storage API would otherwise let any
logged-in player write objects under their own user id into any collection, e.g. a fake
game server into tower_servers or a forged state into tower_state. The realtime socket has no
storage messages, and every Tower RPC a client could call checks its caller, so these two
before-hooks close the public paths. Runtime code (nk.storage_write) does not pass through
them.
]]

local nk = require("nakama")
local common = require("tower_common")

local M = {}

-- true for any Tower collection, whatever the case (Nakama compares collections exactly; a
-- look-alike name is refused too so that nobody can hope one is ever read).
function M.is_tower_collection(collection)
  return type(collection) == "string" and string.lower(string.sub(collection, 1, 6)) == "tower_"
end

local function refuse_if_tower(list, verb)
  for _, o in ipairs(list or {}) do
    if type(o) == "table" and M.is_tower_collection(o.collection) then
      common.fail(string.format("%s refused: collection %q is written by the game server only",
        verb, o.collection), common.CODE_PERMISSION_DENIED)
    end
  end
end

local function before_write(context, request)
  if type(request) == "table" then refuse_if_tower(request.objects, "storage write") end
  return request
end

local function before_delete(context, request)
  if type(request) == "table" then refuse_if_tower(request.object_ids, "storage delete") end
  return request
end

nk.register_req_before(before_write, "WriteStorageObjects")
nk.register_req_before(before_delete, "DeleteStorageObjects")

return M
