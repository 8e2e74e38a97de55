#!/usr/bin/env python3
import time
while True:
    time.sleep(1)
