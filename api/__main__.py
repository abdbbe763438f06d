"""`python -m api`: serve on settings.host:settings.ports.api."""

import uvicorn

from refdata.settings import get_settings

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run("api.app:app", host=settings.host, port=settings.ports.api, workers=1, log_level="info")
