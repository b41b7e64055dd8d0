# BabyShield Chat service image (also runs the fake LLM with a different command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# README.md* : the project's readme is optional at build time (glob, not an error).
COPY pyproject.toml README.md* ./
COPY src ./src
RUN pip install . \
    && useradd --system --create-home --uid 10001 --home-dir /home/babyshield babyshield

# Never run the service as root.
USER babyshield
EXPOSE 8080

# /healthz answers 200 while the process runs (spec section 1); python is the
# only HTTP client guaranteed in a slim image.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]

CMD ["babyshield-chat", "serve", "--host", "0.0.0.0", "--port", "8080"]
