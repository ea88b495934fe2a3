"""rasa-sdk custom actions, served by the gateway at POST /webhook. Keep them thin."""
