// shared fixtures
