// A queue worker: polls forever. Nothing here registers a signal handler.
AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine("exiting");
while (true)
{
    Console.WriteLine("polling");
    Thread.Sleep(1000);
}
