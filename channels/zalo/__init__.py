"""Zalo Official Account: signed webhook in, OA customer-service messages out."""
