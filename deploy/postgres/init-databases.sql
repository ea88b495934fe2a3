-- Run once by the postgres image on an empty data volume (deploy/compose.yaml): the gateway's stores live in the
-- database `tthc` (POSTGRES_DB), Rasa's tracker store in its own database `rasa`, owned by the same user.
CREATE DATABASE rasa OWNER tthc;
