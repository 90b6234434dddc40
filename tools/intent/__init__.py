"""Intents in the standard shapes (3GPP TS 28.312, TM Forum TMF921) and their target KPIs."""
