"""Local stand-ins for systems outside this machine (Zalo, Telegram), speaking their real HTTP payload shapes."""
