"""Tests that start the engines a deployment runs beside BotBeat: a streaming replica, a
balancer in front of several app servers, a connection pooler."""
