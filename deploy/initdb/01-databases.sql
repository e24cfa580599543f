-- Databases for Mattermost and Guichet in the compose file's PostgreSQL.
CREATE DATABASE mattermost;
CREATE DATABASE guichet;
