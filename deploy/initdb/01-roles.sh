#!/bin/sh
# Run once by the postgres image, on its first start with an empty data directory
# (/docker-entrypoint-initdb.d): a role and a database of its own for Mattermost and for
# Guichet, so that neither connects as the superuser nor reaches the other's database.
# The passwords come from the db service's environment (docker-compose.yml, from .env); psql
# quotes them (:'name'), whatever characters they hold.
: "${DB_PASSWORD_MATTERMOST:?the db service needs DB_PASSWORD_MATTERMOST}"
: "${DB_PASSWORD_GUICHET:?the db service needs DB_PASSWORD_GUICHET}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
	-v mattermost_password="$DB_PASSWORD_MATTERMOST" -v guichet_password="$DB_PASSWORD_GUICHET" <<'SQL'
CREATE ROLE mattermost LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'mattermost_password';
CREATE DATABASE mattermost OWNER mattermost;
REVOKE ALL ON DATABASE mattermost FROM PUBLIC;

CREATE ROLE guichet LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'guichet_password';
CREATE DATABASE guichet OWNER guichet;
REVOKE ALL ON DATABASE guichet FROM PUBLIC;
SQL
