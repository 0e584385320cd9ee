-- Publish on a channel: sharded pub/sub in a Redis Cluster (the channel lives in its keys' slot), plain otherwise.
local function publishOn(channel, payload, sharded)
  if sharded == '1' then return redis.call('SPUBLISH', channel, payload) end
  return redis.call('PUBLISH', channel, payload)
end
