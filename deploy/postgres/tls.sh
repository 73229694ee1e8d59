#!/bin/sh
# Runs once, when the PostgreSQL container initialises an empty data volume
# (/docker-entrypoint-initdb.d): a self-signed certificate for the server, TLS on, and
# connections over the network accepted only with TLS. The app connects with
# sslmode=require (encrypted; the certificate is not checked against a CA, as it is
# self-signed and never leaves the compose network).
set -eu
cd "$PGDATA"
openssl req -new -x509 -days 3650 -nodes -newkey rsa:2048 -subj "/CN=postgres" \
  -keyout server.key -out server.crt 2>/dev/null
chmod 600 server.key
cat >> postgresql.conf <<CONF
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
CONF
# The image's entrypoint has already allowed every network client with a password
# ("host all all all scram-sha-256"); from now on only over TLS.
sed -i 's/^host\(\s\+all\s\+all\s\+all\s\)/hostssl\1/' pg_hba.conf
echo "tls.sh: PostgreSQL serves TLS with a self-signed certificate; plain network connections are refused"
