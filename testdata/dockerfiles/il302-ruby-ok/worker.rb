loop { sleep 1 }
