// A Go server with no signal.Notify: the Go runtime still handles SIGTERM (it exits).
package main

import "time"

func main() {
	for {
		time.Sleep(time.Hour)
	}
}
