package main

import (
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 1)
	// Catalog reloading on and off; nothing here asks for SIGTERM.
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	for sig := range sigs {
		log.Printf("received %s", sig)
	}
}
