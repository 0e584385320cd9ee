-- A room's epoch is created with its sequence: a new sequence gets a new epoch (expiring with the room's
-- history), and nothing of an older sequence may survive in the log.
local function roomEpoch(meta, log, candidate, ttlMs)
  local epoch = redis.call('HGET', meta, 'epoch')
  if epoch then return epoch end
  redis.call('DEL', log)
  redis.call('HSET', meta, 'epoch', candidate, 'seq', 0)
  redis.call('PEXPIRE', meta, ttlMs)
  return candidate
end
