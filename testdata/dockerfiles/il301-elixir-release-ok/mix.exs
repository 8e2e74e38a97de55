defmodule Web.MixProject do
  use Mix.Project

  def project, do: [app: :web, version: "0.1.0", elixir: "~> 1.14", deps: []]
  def application, do: [mod: {Web.Application, []}]
end
