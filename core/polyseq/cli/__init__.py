def main():
    raise SystemExit("cli not written yet")
